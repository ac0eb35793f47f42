"""Append-only evidence (triggers on PostgreSQL and SQLite), the system actor, the case
permissions of each role, and the company's call scripts (统一说辞) as editable data."""

from django.db import migrations

REFUSE = "evidence entries are append-only"

POSTGRES = f"""
CREATE OR REPLACE FUNCTION cases_evidence_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{REFUSE}: % refused on case % seq %', TG_OP, OLD.case_id, OLD.seq
        USING ERRCODE = '23514';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_evidence_no_update BEFORE UPDATE ON cases_evidenceentry
    FOR EACH ROW EXECUTE FUNCTION cases_evidence_append_only();
CREATE TRIGGER cases_evidence_no_delete BEFORE DELETE ON cases_evidenceentry
    FOR EACH ROW EXECUTE FUNCTION cases_evidence_append_only();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS cases_evidence_no_update ON cases_evidenceentry;
DROP TRIGGER IF EXISTS cases_evidence_no_delete ON cases_evidenceentry;
DROP FUNCTION IF EXISTS cases_evidence_append_only();
"""
SQLITE = [
    f"""CREATE TRIGGER cases_evidence_no_update BEFORE UPDATE ON cases_evidenceentry
BEGIN SELECT RAISE(ABORT, '{REFUSE}: UPDATE refused'); END;""",
    f"""CREATE TRIGGER cases_evidence_no_delete BEFORE DELETE ON cases_evidenceentry
BEGIN SELECT RAISE(ABORT, '{REFUSE}: DELETE refused'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS cases_evidence_no_update;",
    "DROP TRIGGER IF EXISTS cases_evidence_no_delete;",
]


def _run(by_vendor):
    def run(apps, schema_editor):
        statements = by_vendor[schema_editor.connection.vendor]
        for sql in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(sql, params=None)

    return run


CASE_PERMISSIONS = {
    "collector": ["view_case", "view_contactattempt", "add_contactattempt",
                  "view_contactattachment", "view_callscript", "view_delivery",
                  "view_evidenceentry"],
    "legal_officer": ["view_case", "view_all_cases", "view_contactattempt",
                      "add_contactattempt", "view_contactattachment", "view_callscript",
                      "view_delivery", "add_delivery", "view_evidenceentry"],
    "manager": ["view_case", "view_all_cases", "view_contactattempt", "view_contactattachment",
                "view_callscript", "change_callscript", "view_delivery", "view_evidenceentry"],
    "finance": ["view_case", "view_all_cases"],
    "system": [],
}


def roles_and_system_user(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("auth", "User")
    for role, codenames in CASE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="cases", codename__in=codenames)
        )
    system, created = User.objects.get_or_create(username="system", defaults={"is_active": False})
    if created:
        system.password = "!system-actor-cannot-log-in"
        system.save(update_fields=["password"])
    system.groups.add(Group.objects.get(name="system"))


# The company's unified telephone scripts (催缴物业费统一说辞), per step.
SCRIPTS = [
    ("demand_step_1", "reminding", 1, "催缴函 第一步：友情提示",
     "X先生/女士，您好，我是XX物业服务中心XX，不好意思打扰您了。由于物业费都是预交的，而您现在"
     "已经超期未交了。今天我接到公司的电话，称财务系统自动生成了____至____时间内未缴物业费的名单，"
     "您的名字在其中，所以我友情提示一下，近期公司准备拟物业费催缴函。\n"
     "您一直都很支持我们的工作，希望您有时间来物业服务中心缴纳物业费；您如果没有时间，我们也可以"
     "上门收取。您看本周或下周哪天比较方便？我过去一趟？"),
    ("demand_step_2", "reminding", 2, "催缴函 第二步：催缴函即将发出",
     "X先生/女士，您好，我是XX物业服务中心XX，不好意思打扰您了。今天我接到公司的消息，说已经在拟"
     "物业费催缴函了，准备近期发出去，把这个信息传达给您。像您这样的业主，对我们服务中心的工作也都"
     "很支持和配合。希望您近期有空来缴纳物业费；如果您工作繁忙，我们约个时间上门也可以，感谢您配合"
     "我们的工作。"),
    ("demand_step_3", "demand_letter", 3, "催缴函 第三步：催缴函已发出",
     "X先生/女士，您好，我是XX物业服务中心XX，打扰您了。关于物业费催缴函，听公司相关部门说已经发"
     "出去了，您这几天就可能会收到，请注意查收。其实作为物业服务中心的服务人员，我觉得这些真的没有"
     "必要，您只要把物业费缴纳一下就可以了，不必这么大费周章。您近期工作比较忙吧？那我们约定个时间，"
     "上门收取一下，您看呢？"),
    ("demand_step_4", "demand_letter", 4, "催缴函 第四步：催缴函已收到",
     "X先生/女士，您好，我是XX物业服务中心XX，打扰您了。关于物业费的事情跟您打个招呼：那个函不是"
     "我们服务中心发的，是通过公司后台系统直接生成发出的。像您这样的客户一直都很支持我们服务中心的"
     "工作，所以希望您不要太介意。估计您已经收到物业费催缴通知函了，上面注明了____________，也希望"
     "您有空来物业服务中心缴纳一下物业费，或者我晚上到您那去，您看是明天还是后天？"),
    ("lawyer_before", "demand_letter", 5, "律师函 发出前",
     "X先生/女士，您好，我是XX物业服务中心XX，不好意思打扰您了。有关物业费的事，要跟您打个招呼。"
     "根据公司的流程，现在财务部会直接将未交物业费的名单转到后台，由公司后台发律师函了。我觉得为了"
     "这点物业费也没有必要打官司，而且您也一直都很支持我们的工作。是不是您最近工作比较繁忙，抽不出"
     "时间？那您约定一下，我们可以上门把票送到您家。您看这周有时间吗？"),
    ("lawyer_after", "lawyer_letter", 6, "律师函 发出后",
     "X先生/女士，您好，我是XX物业服务中心XX，打扰您了。最近您应该收到有关催缴物业费的律师函了吧。"
     "看来公司法务真的想通过法律途径解决问题了。依我看如果没什么大问题，可以把这个问题解决一下。如果"
     "您决定这几天来交物业费，我们可以定个时间，然后我再向公司申请撤销律师函，您看怎样？"),
    ("summons_before", "litigation", 7, "法院传票 下达前",
     "X先生/女士，您好，我是XX物业服务中心XX，不好意思打扰您了。近期我听法务说，上回发律师函催交"
     "物业费的法院传票要下来了。我想又没什么大问题，我们也没有必要搞得这么大，所以给您打个电话，"
     "看看您的意向。您看能不能抽空来物业服务中心把这个事情解决一下，到时我和法务说一下，就把这个撤销"
     "了吧，您说呢？"),
    ("summons_after", "litigation", 8, "法院传票 送达后",
     "X先生/女士，您好，我是XX物业服务中心XX，打扰您了。最近您收到法院的传票了吧？我们公司现在都是"
     "按照这个流程来办的，一般按照惯例，就物业费的问题，我们公司最后都是胜诉的，那么您还需要支付违约金"
     "和诉讼费。没有必要为了这点钱大费周章，我们物业服务中心也希望所有业主有个舒适顺心的生活环境。如果"
     "您最近忙的话，我们可以定个时间上门把物业费的票送到您家，我也可以第一时间告诉财务，转告法务撤诉，"
     "您看这样处理好吗？"),
]
GUIDANCE = (
    "和业主通电话，不要上来就提物业费，可以就小区最近的工作、天气情况等进行寒暄。"
    "要明确告诉业主欠费的金额，并与业主敲定几时过来交费。"
    "本系统不提供、也不得以停水、停电、停气相威胁（《民法典》第944条）。"
)


def load_scripts(apps, schema_editor):
    CallScript = apps.get_model("cases", "CallScript")
    for moment, stage, order, title, body in SCRIPTS:
        CallScript.objects.update_or_create(
            moment=moment,
            defaults={"stage": stage, "order": order, "title": title, "body": body,
                      "note": GUIDANCE},
        )


def unload_scripts(apps, schema_editor):
    apps.get_model("cases", "CallScript").objects.filter(
        moment__in=[s[0] for s in SCRIPTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_cases_contacts_evidence"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
        migrations.RunPython(roles_and_system_user, migrations.RunPython.noop),
        migrations.RunPython(load_scripts, unload_scripts),
    ]
